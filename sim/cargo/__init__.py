"""The cargo model in SimPy: consignments and their journeys, ports, ferries, rail gates."""
