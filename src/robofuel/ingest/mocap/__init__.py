"""Motion capture readers: BVH, Acclaim ASF/AMC, C3D."""
