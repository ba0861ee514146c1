"""Continuous carriers: reliability of links, hourly power dispatch, fibre, oil and other liquids."""
