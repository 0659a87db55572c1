"""netops.ipsec_spi lab: a simulated fleet of Cisco IOS / IOS XE routers served over real SSH by fakenos.

Not part of the collection's runtime: only the integration tests and developers use it.
"""
