"""vcat's terminal app: a keyboard-driven Textual front end over `vcat_core.service` (DESIGN §1).

Nothing here touches the database, ffmpeg or a model: every read and write goes through `vcat_core.service.Catalog`.
"""
