// A run's workload data by workload.source: none in timing mode, the synthetic generator, or a llama2.c
// model's forward pass over a text (firmware/model_workload.h). For llama2c the checkpoint is read in both
// modes, so model.* always describes the model the run claims to be: a shape that differs from the
// checkpoint's, a bad file or too short a text is a ParamError naming the parameter.
#pragma once

#include <memory>

#include "firmware/workload_data.h"
#include "platform/params.h"

namespace aqpim::platform {

// Null in timing mode (after the llama2c checks).
std::unique_ptr<firmware::WorkloadData> make_workload_data(const PlatformParams& params);

}  // namespace aqpim::platform
