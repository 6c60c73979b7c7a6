"""Batch scoring on a distributed engine, for tables of photos that outgrow one machine.

``wildvision.engines.ray_scoring`` scores a Ray Data dataset (the ``[ray]`` extra). Nothing
here is imported by ``import wildvision``.
"""
