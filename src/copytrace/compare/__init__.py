"""Stage 5: what changed between a source and a derived text: edits, quotations, derivation level."""
