"""Data recipes: the tf.data pipeline, normalization, augmentation, class weights, oversampling, batch size."""
