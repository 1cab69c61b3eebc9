"""Hand-off to the edit: selects as timelines (OTIO → FCPXML, FCP7 XML, CMX 3600 EDL, .otio), transcripts as
subtitles, contact sheets. Pure functions over export documents; the service reads the catalog and calls them."""

from .selects import Select, selects_from_documents
from .timing import SourceTiming, register_timing_source, source_timing

__all__ = ["Select", "SourceTiming", "register_timing_source", "selects_from_documents", "source_timing"]
