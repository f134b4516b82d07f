#!/usr/bin/env python3
"""A peer for tools/compare-peers.sh: the tutorial's own Keras code, timed per epoch.

The tutorial model is the seed's code as written (Sequential, Conv2D/MaxPooling2D, Adam,
sparse categorical cross-entropy, model.fit with batch 64 and validation_split=0.2); the
fashion-bn model is examples/fashion-mnist-bn.model's network with AdamW. The data are random
pixels and labels of the dataset's shape, STEPS * 64 training images and VAL validation ones:
the time of a step does not depend on the values. Prints one line per timed epoch: seconds,
measured from the start of the epoch to the end of its validation pass.
usage: keras_epoch.py MODEL THREADS STEPS VAL EPOCHS [JIT]   (MODEL: tutorial | fashion-bn;
JIT: auto, as model.compile's default, on or off; the first epoch is a warm-up, not printed)
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
import keras
from keras import layers, Sequential


def tutorial():
    feature_learning = Sequential(name="feature_learning", layers=[
        layers.Input(shape=(32, 32, 3)),
        layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(128, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2)),
    ])
    classification = Sequential(name="classification", layers=[
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    return Sequential([feature_learning, classification]), "adam", (32, 32, 3)


def fashion_bn():
    def block(filters):
        return [layers.Conv2D(filters, 3, padding="same", use_bias=False),
                layers.BatchNormalization(), layers.Activation("relu")]
    model = Sequential([layers.Input(shape=(28, 28, 1)),
                        *block(32), *block(32), layers.MaxPooling2D(2),
                        *block(64), *block(64), layers.MaxPooling2D(2),
                        *block(128), layers.GlobalAveragePooling2D(), layers.Dropout(0.2),
                        layers.Dense(10, activation="softmax")])
    return model, keras.optimizers.AdamW(learning_rate=0.003), (28, 28, 1)


class EpochTimes(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def main():
    name, threads, steps, val, epochs = sys.argv[1], *map(int, sys.argv[2:6])
    jit = {"auto": "auto", "on": True, "off": False}[sys.argv[6] if len(sys.argv) > 6 else "auto"]
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    keras.utils.set_random_seed(0)
    model, optimizer, shape = {"tutorial": tutorial, "fashion-bn": fashion_bn}[name]()
    rng = np.random.default_rng(0)
    count = steps * 64 + val
    x = rng.integers(0, 256, size=(count, *shape), dtype=np.uint8).astype(np.float32) / 255.0
    y = rng.integers(0, 10, size=count)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit)
    times = EpochTimes()
    model.fit(x, y, epochs=epochs + 1, batch_size=64, validation_split=val / count,
              callbacks=[times], verbose=0)
    for seconds in times.seconds[1:]:
        print(f"{seconds:.4f}")


if __name__ == "__main__":
    main()
