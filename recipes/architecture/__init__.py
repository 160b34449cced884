"""Architecture recipes: edits of the user's model — activations, initializers, the output head, width, depth, fine-tuning — and the layer rebuilding they share."""
