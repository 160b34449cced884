"""The user's model: built-in architectures and static inspection (model findings)."""
