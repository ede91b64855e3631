"""Drills: the failures a scenario plays, one trial, its typed report, the pure analysis, timelines, NetFlow runs."""
