"""``divergences estimate``'s machinery: read the files, plan and run the rows, print the report.

:mod:`~divergences.lab.estimate.estimate_command` runs two files (P and Q) on the row table of
:mod:`~divergences.lab.estimate.estimate_table` (what each row prints, where it runs, what it
reads),
:mod:`~divergences.lab.estimate.estimate_compare` three (a reference and two models), both on
the rows of :mod:`~divergences.lab.estimate.estimate_rows` and the copying verdict of
:mod:`~divergences.lab.estimate.estimate_copying`; :mod:`~divergences.lab.estimate.estimate_report`
prints what they return, and :mod:`~divergences.lab.estimate.draw_files` reads the files.
"""
