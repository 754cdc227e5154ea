"""Melody generation in the line of Magenta's melody_rnn, trained on music21's folk corpus."""
