"""Executable proofs of the lecture derivations, one file per derivation (``proof_*.py``).

Each file declares a :class:`divergences.lab.proof.Proof` named ``PROOF``; pytest runs its steps
through ``test_step`` and ``divergences verify`` runs the same steps and prints them as a table.
"""
