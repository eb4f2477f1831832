"""Certified divergences between continuous laws (host only, not jittable): see below."""
