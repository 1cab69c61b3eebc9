"""Camera cards as cameras write them: layouts recognised from names (layouts), spanned recordings joined
(layouts, playlists, span), XML / XMP sidecars (sidecars) and the metadata stage for card clips (clipmeta)."""
