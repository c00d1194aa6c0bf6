"""The video-file reader, and video files as clips by packets (probe, cut), shared by other readers."""
