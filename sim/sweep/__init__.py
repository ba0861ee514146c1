"""`corridor sweep`: designs, executors, the durable points log, thresholds and tables."""
