"""Regularizers: dropout, L1/L2 kernel penalties (one keras.regularizers penalty per kernel), batch normalization, input noise, label smoothing."""
