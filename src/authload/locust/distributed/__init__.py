"""Distributed trust: master <-> worker messages, who may join (challenges, signed figures),
the run key that seals plans."""
