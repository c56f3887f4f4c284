"""Classification: the open-set burst classifier, emitter tracking, training and persistence."""
