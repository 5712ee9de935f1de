# Golden reports: fixed runs whose JSON results (without wall time) must stay bit-identical unless a change
# means to alter results. Regenerate on purpose with scripts/golden-reports.sh --regenerate.
if(AQPIM_BUILD_TESTS)
  add_executable(golden_reports golden/golden_reports.cpp)
  target_link_libraries(golden_reports PRIVATE nlohmann_json::nlohmann_json aqpim_warnings)
endif()

# aqpim_add_golden(NAME RESULT_FILE AQPIM_ARGS...): "@OUT@" in the arguments is the run's scratch folder.
function(aqpim_add_golden name result)
  if(NOT AQPIM_BUILD_TESTS)
    return()
  endif()
  add_test(NAME golden.${name}
           COMMAND golden_reports $<TARGET_FILE:aqpim> ${CMAKE_CURRENT_SOURCE_DIR}/golden/${name}.json ${result}
                   -- ${ARGN})
  set_tests_properties(golden.${name} PROPERTIES TIMEOUT 300 LABELS golden)
endfunction()

set(_report report.json)
set(_json --json @OUT@/report.json)
aqpim_add_golden(default ${_report} run ${_json})
aqpim_add_golden(attacc ${_report} run --set sim.design=attacc ${_json})
aqpim_add_golden(gpu_offload ${_report} run --set sim.design=gpu_offload ${_json})
aqpim_add_golden(token_mapping ${_report} run --set pim.mapping=token ${_json})
aqpim_add_golden(bank_group ${_report} run --set pim.mapping=token --set pim.placement=bank_group ${_json})
aqpim_add_golden(subvector_sram_windows ${_report} run --set pim.codebook_store=sram --set pq.windowed_clustering=true
                 --set pq.window_centroids=256 --set workload.decode_steps=16 ${_json})
aqpim_add_golden(mapping_robabgcoch ${_report} run --set hbm.address_mapping=RoBaBgCoCh ${_json})
aqpim_add_golden(llama3_8b_16k ${_report} run --set model.preset=llama-3-8b --set workload.context_tokens=16384
                 --set workload.decode_steps=20 ${_json})
aqpim_add_golden(tiny_timing ${_report} run --set model.preset=tiny --set workload.context_tokens=4096
                 --set workload.decode_steps=16 ${_json})
aqpim_add_golden(tiny_functional ${_report} run --set model.preset=tiny --set workload.context_tokens=512
                 --set sim.mode=functional --set workload.decode_steps=2 ${_json})
aqpim_add_golden(tiny_functional_token ${_report} run --set model.preset=tiny --set workload.context_tokens=512
                 --set sim.mode=functional --set workload.decode_steps=2 --set pim.mapping=token ${_json})
aqpim_add_golden(tiny_functional_attacc ${_report} run --set model.preset=tiny --set workload.context_tokens=768
                 --set sim.mode=functional --set workload.decode_steps=2 --set sim.design=attacc ${_json})
aqpim_add_golden(sweep_tiny sweep.json sweep --set model.preset=tiny --set workload.decode_steps=4
                 --vary workload.context_tokens=2048:4096:x2 --vary pim.mapping=subvector,token
                 --vary sim.design=aqpim,attacc,gpu_offload --jobs 1 --out @OUT@)
