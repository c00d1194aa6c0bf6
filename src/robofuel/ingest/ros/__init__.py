"""ROS messages to canonical streams, shared by ROS 1 bags, ROS 2 bags and MCAP files; the bag readers."""
