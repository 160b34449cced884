"""The benchmark: advisor vs. a plain baseline vs. keras-tuner alone, same machine, same budget."""
