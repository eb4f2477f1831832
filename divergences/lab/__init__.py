"""The lab: experiments, figures and the command line, built on the library (heavier imports)."""
