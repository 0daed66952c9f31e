# fm-privacy end to end: exit codes, one-line errors, both formats. The numbers themselves are
# checked against numerical integration in tests/python/test_privacy_reference.py; the figures
# here are published ones (Opacus' documentation) or that test's reference values.
set(PRIVACY $<TARGET_FILE:fm-privacy>)

function(fm_privacy_test name)
  add_test(NAME cli.privacy_${name} COMMAND ${EXPECT} ${ARGN})
  set_tests_properties(cli.privacy_${name} PROPERTIES LABELS cli)
endfunction()

# Exit 0. MNIST (N = 60000, B = 256, sigma = 1.1, 60 epochs = 14063 steps, delta = 1e-5): the
# reference integration gives eps 2.5967 (improved conversion) and 3.0084 (classic, TF Privacy's
# tutorial table says 3.01).
fm_privacy_test(mnist 0 ".*" --stdout "^epsilon: +2\\.5966[0-9]" --
  ${PRIVACY} --dataset-size 60000 --batch-size 256 --noise-multiplier 1.1 --epochs 60 --delta 1e-5)
fm_privacy_test(mnist_steps 0 ".*" --stdout "^steps: +14063 \\(60 epochs\\)" --
  ${PRIVACY} --dataset-size 60000 --batch-size 256 --noise-multiplier 1.1 --epochs 60 --delta 1e-5)
fm_privacy_test(mnist_classic 0 ".*" --stdout "^classic epsilon: +3\\.008" --
  ${PRIVACY} --dataset-size 60000 --batch-size 256 --noise-multiplier 1.1 --epochs 60 --delta 1e-5)
# Opacus' documented example: "epsilon = 2.39 ... The optimal alpha is 5.0".
fm_privacy_test(opacus_doc 0 ".*" --stdout "^epsilon: +2\\.39[0-9]" --
  ${PRIVACY} --sample-rate 0.01 --noise-multiplier 1.0 --epochs 3 --delta 1e-5
  --orders 2 5 10 20 100)
fm_privacy_test(opacus_doc_order 0 ".*" --stdout "^optimal order: +5$" --
  ${PRIVACY} --sample-rate 0.01 --noise-multiplier 1.0 --steps 300 --delta 1e-5
  --orders 2 5 10 20 100)
fm_privacy_test(json 0 ".*" --stdout "\"epsilon\": 2\\.5966" --
  ${PRIVACY} --dataset-size 60000 --batch-size 256 --noise-multiplier 1.1 --epochs 60 --delta 1e-5
  --format json)
fm_privacy_test(solve 0 ".*" --stdout "^noise multiplier: +[0-9.]+ \\(solved" --
  ${PRIVACY} --dataset-size 60000 --batch-size 256 --target-epsilon 3 --epochs 60 --delta 1e-5)
fm_privacy_test(no_noise 0 ".*" --stdout "^epsilon: +inf$" --
  ${PRIVACY} --sample-rate 0.01 --noise-multiplier 0 --steps 10 --delta 1e-5)
fm_privacy_test(zero_steps 0 ".*" --stdout "^epsilon: +0$" --
  ${PRIVACY} --sample-rate 0.01 --noise-multiplier 1 --steps 0 --delta 1e-5)
fm_privacy_test(delta_note 0 ".*" --stdout "^note: +delta 0\\.01 is not below 1/N" --
  ${PRIVACY} --dataset-size 1000 --batch-size 10 --noise-multiplier 1 --epochs 1 --delta 0.01)
fm_privacy_test(help 0 ".*" --stdout "Exit codes: 0 success" -- ${PRIVACY} --help)
fm_privacy_test(version 0 ".*" --stdout "^fm-privacy \\(fmkit\\) [0-9]" -- ${PRIVACY} --version)
# JSON: every input echoed, undefined values null with a reason, one entry per default order.
add_test(NAME cli.privacy_json_fields COMMAND sh -c
  "${PRIVACY} --sample-rate 0.01 --noise-multiplier 0 --steps 10 --delta 1e-5 --format json | ${FM_PYTHON3} -c \"import json, sys; j = json.load(sys.stdin); assert j['epsilon'] is None and 'no privacy' in j['epsilon_reason'], j; assert j['optimal_order'] is None and j['optimal_order_reason']; assert len(j['orders']) == 151 and j['orders'][0]['order'] == 1.1 and j['orders'][-1]['order'] == 63; assert j['steps'] == 10 and j['sample_rate'] == 0.01 and j['noise_multiplier'] == 0 and j['delta'] == 1e-05; assert j['dataset_size'] is None and j['noise_multiplier_solved'] is False\"")
set_tests_properties(cli.privacy_json_fields PROPERTIES LABELS cli)

# Issue 13: sigma^2 underflowed below sigma ~ 1e-154 and the fractional-order series ran 10 M NaN
# terms (41 s) into epsilon 0.2147, below sigma = 1's 1.035. The bound is beyond doubles there:
# epsilon inf, at once. At the other end (sigma^2 overflows, z0 was inf * 0 at q = 1/2) the RDP is
# 0 to double precision and epsilon the conversion's floor at order 63:
# (log 1e5 - log 63) / 62 + log(62/63) = 0.1028672...
fm_privacy_test(tiny_noise 0 ".*" --stdout "^epsilon: +inf$" --
  ${PRIVACY} --sample-rate 0.01 --noise-multiplier 1e-300 --steps 1000 --delta 1e-5)
fm_privacy_test(tiny_noise_half 0 ".*" --stdout "^epsilon: +inf$" --
  ${PRIVACY} --sample-rate 0.5 --noise-multiplier 1e-200 --steps 1 --delta 1e-5)
fm_privacy_test(huge_noise 0 ".*" --stdout "^epsilon: +0\\.102867$" --
  ${PRIVACY} --sample-rate 0.5 --noise-multiplier 1.7e308 --steps 1000 --delta 1e-5)
add_test(NAME cli.privacy_tiny_noise_json COMMAND sh -c
  "${PRIVACY} --sample-rate 0.01 --noise-multiplier 1e-300 --steps 1000 --delta 1e-5 --format json | ${FM_PYTHON3} -c \"import json, sys; j = json.load(sys.stdin); assert j['epsilon'] is None and 'no privacy' in j['epsilon_reason'], j; assert j['classic_conversion']['epsilon'] is None; assert all(o['rdp'] is None and o['epsilon'] is None for o in j['orders']), j['orders']; assert any(n.startswith('epsilon is infinite') for n in j['notes']), j['notes']\"")
set_tests_properties(cli.privacy_tiny_noise_json PROPERTIES LABELS cli)
set_tests_properties(cli.privacy_tiny_noise cli.privacy_tiny_noise_half cli.privacy_huge_noise
  cli.privacy_tiny_noise_json PROPERTIES TIMEOUT 5)

# fm-train's logged epsilon (manifest.json, every epoch in metrics.jsonl) is fm-privacy's for the
# same sample rate, noise multiplier, steps and delta; with a target epsilon, both solve the same
# noise multiplier.
add_test(NAME cli.privacy_train_matches WORKING_DIRECTORY ${D} COMMAND ${FM_PYTHON3}
  ${CMAKE_CURRENT_SOURCE_DIR}/check_privacy_run.py ${TRAIN} ${PRIVACY} tiny.json
  ${W}/runs/privacy_sigma --set training.privacy.enabled=true
  --set training.privacy.noise_multiplier=1.3 --set training.epochs=3)
add_test(NAME cli.privacy_train_target_matches WORKING_DIRECTORY ${D} COMMAND ${FM_PYTHON3}
  ${CMAKE_CURRENT_SOURCE_DIR}/check_privacy_run.py ${TRAIN} ${PRIVACY} tiny.json
  ${W}/runs/privacy_target --set training.privacy.enabled=true
  --set training.privacy.target_epsilon=4 --set training.epochs=3)
set_tests_properties(cli.privacy_train_matches cli.privacy_train_target_matches
  PROPERTIES LABELS cli)

# Exit 2: usage errors, one line each.
set(P_OK --sample-rate 0.01 --steps 100)
fm_privacy_test(missing_delta 2 "^fm-privacy: error: --delta is required" --
  ${PRIVACY} ${P_OK} --noise-multiplier 1)
fm_privacy_test(noise_and_target 2 "^fm-privacy: error: give either --noise-multiplier or --target-epsilon, not both$" --
  ${PRIVACY} ${P_OK} --noise-multiplier 1 --target-epsilon 2 --delta 1e-5)
fm_privacy_test(no_noise_flag 2 "--noise-multiplier S \\(or --target-epsilon E to solve for it\\) is required" --
  ${PRIVACY} ${P_OK} --delta 1e-5)
fm_privacy_test(q_above_one 2 "--sample-rate must be in \\[0, 1\\] \\(got 1\\.5\\)$" --
  ${PRIVACY} --sample-rate 1.5 --steps 10 --noise-multiplier 1 --delta 1e-5)
fm_privacy_test(negative_sigma 2 "--noise-multiplier must be a finite number >= 0 \\(got -1\\.0\\)$" --
  ${PRIVACY} ${P_OK} --noise-multiplier -1 --delta 1e-5)
fm_privacy_test(negative_target 2 "--target-epsilon must be a finite number > 0 \\(got -2\\.0\\)$" --
  ${PRIVACY} ${P_OK} --target-epsilon -2 --delta 1e-5)
fm_privacy_test(delta_one 2 "--delta must be in \\(0, 1\\) \\(got 1\\.0\\)$" --
  ${PRIVACY} ${P_OK} --noise-multiplier 1 --delta 1)
fm_privacy_test(rate_and_size 2 "give either --sample-rate or --dataset-size with --batch-size, not both" --
  ${PRIVACY} ${P_OK} --dataset-size 100 --batch-size 10 --noise-multiplier 1 --delta 1e-5)
fm_privacy_test(no_rate 2 "a sampling rate is required" --
  ${PRIVACY} --steps 100 --noise-multiplier 1 --delta 1e-5)
fm_privacy_test(size_without_batch 2 "--dataset-size needs --batch-size$" --
  ${PRIVACY} --dataset-size 100 --steps 100 --noise-multiplier 1 --delta 1e-5)
fm_privacy_test(batch_above_size 2 "--batch-size 300 must be <= --dataset-size 200$" --
  ${PRIVACY} --dataset-size 200 --batch-size 300 --steps 10 --noise-multiplier 1 --delta 1e-5)
fm_privacy_test(steps_and_epochs 2 "give either --steps or --epochs, not both$" --
  ${PRIVACY} ${P_OK} --epochs 2 --noise-multiplier 1 --delta 1e-5)
fm_privacy_test(no_length 2 "--steps T or --epochs E is required$" --
  ${PRIVACY} --sample-rate 0.01 --noise-multiplier 1 --delta 1e-5)
fm_privacy_test(negative_steps 2 "--steps must be in \\[0, 1000000000000000\\] \\(got -5\\)$" --
  ${PRIVACY} --sample-rate 0.01 --steps -5 --noise-multiplier 1 --delta 1e-5)
fm_privacy_test(epochs_at_rate_zero 2 "--epochs needs --sample-rate > 0" --
  ${PRIVACY} --sample-rate 0 --epochs 1 --noise-multiplier 1 --delta 1e-5)
fm_privacy_test(unreachable_target 2 "target epsilon 0\\.01 is unreachable" --
  ${PRIVACY} ${P_OK} --target-epsilon 0.01 --delta 1e-5)
fm_privacy_test(bad_order 2 "--orders must be finite numbers > 1 \\(got 0\\.5\\)$" --
  ${PRIVACY} ${P_OK} --noise-multiplier 1 --delta 1e-5 --orders 2 0.5)
fm_privacy_test(bad_format 2 "--format must be one of \"text\", \"json\" \\(got \"xml\"\\)$" --
  ${PRIVACY} ${P_OK} --noise-multiplier 1 --delta 1e-5 --format xml)
fm_privacy_test(not_a_number 2 "^fm-privacy: error: .*--noise-multiplier" --
  ${PRIVACY} ${P_OK} --noise-multiplier abc --delta 1e-5)
fm_privacy_test(unknown_flag 2 "^fm-privacy: error: .*--bogus" -- ${PRIVACY} --bogus)
