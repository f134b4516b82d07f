/* clcnn: train convolutional neural networks on any OpenCL device, every result provable
 * against a built-in plain-C reference. This header includes the whole public API. */
#ifndef CLCNN_H
#define CLCNN_H

#include "clcnn/check.h"
#include "clcnn/checkpoint.h"
#include "clcnn/data.h"
#include "clcnn/device.h"
#include "clcnn/fit.h"
#include "clcnn/model.h"
#include "clcnn/profile.h"
#include "clcnn/replicas.h"
#include "clcnn/status.h"
#include "clcnn/train.h"
#include "clcnn/tune.h"
#include "clcnn/version.h"

#endif
