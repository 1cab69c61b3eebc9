"""The app's screens: browse, search, ingest and collections are modes (each keeps its own stack); clip detail is
pushed on top of the mode it was opened from; help and the small dialogs are modal."""
