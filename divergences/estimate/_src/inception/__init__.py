"""The Inception score from a classifier's class probabilities, with its interval."""
