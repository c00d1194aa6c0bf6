"""The UMI / diffusion-policy ReplayBuffer (zarr) reader."""
