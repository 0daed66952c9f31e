# Post-processing end to end (issue 5): a tiny run trained with training.calibrate=temperature
# writes postprocess.json (and the manifest summary), fm-eval reports the applied temperature in
# its calibration section, per-group thresholds change decisions and are reported, configuration
# mistakes fail before training, and a corrupt postprocess.json is a model error.
set(AUDIT_BIN $<TARGET_FILE:fm-audit>)

fm_cli_test(train_tiny_calibrated 0 ".*" --clean ${W}/runs/tiny_cal --stdout "^run: " --
  ${TRAIN} --config tiny.json --set training.calibrate=temperature --output ${W}/runs/tiny_cal)
set_tests_properties(cli.train_tiny_calibrated PROPERTIES FIXTURES_SETUP tiny_cal_run)

fm_cli_test(train_tiny_thresholds 0 ".*" --clean ${W}/runs/tiny_dp --stdout "^run: " --
  ${TRAIN} --config tiny.json --set training.calibrate=temperature
  --set training.fairness.group_column=gender
  --set training.fairness.thresholds.objective=demographic_parity --output ${W}/runs/tiny_dp)
set_tests_properties(cli.train_tiny_thresholds PROPERTIES FIXTURES_SETUP tiny_dp_run)

# postprocess.json holds a positive temperature, the manifest records the same one with the
# validation NLL before and after (after <= before: T minimises it), and no temp file is left.
add_test(NAME cli.postprocess_json WORKING_DIRECTORY ${W} COMMAND sh -c
  "${FM_PYTHON3} -c \"import json; p = json.load(open('runs/tiny_cal/postprocess.json')); m = json.load(open('runs/tiny_cal/manifest.json'))['postprocess']; t = p['temperature']; assert t > 0 and p['thresholds'] is None, p; assert m['temperature'] == t and m['file'] == 'postprocess.json', m; v = m['validation']; assert v['after']['nll'] <= v['before']['nll'] + 1e-12, v\" && ! ls runs/tiny_cal | grep -q tmp && ! test -e runs/tiny/postprocess.json")
set_tests_properties(cli.postprocess_json PROPERTIES FIXTURES_REQUIRED "tiny_cal_run;tiny_run" LABELS cli)

fm_cli_test(eval_temperature 0 ".*"
  --stdout "^calibration \\(15 equal-width confidence bins. temperature [0-9]+\\.[0-9]+ applied" --
  ${EVAL} --run ${W}/runs/tiny_cal --data test.csv)
fm_cli_test(eval_no_temperature 0 ".*"
  --stdout "^calibration \\(15 equal-width confidence bins. no temperature applied\\)" --
  ${EVAL} --run ${W}/runs/tiny --data test.csv)
fm_cli_test(eval_calibration_markdown 0 ".*" --stdout "^### Calibration" --
  ${EVAL} --run ${W}/runs/tiny_cal --data test.csv --format markdown)
# JSON: the temperature applied equals postprocess.json's; ECE/MCE/Brier are numbers; 15 bins.
add_test(NAME cli.eval_calibration_json WORKING_DIRECTORY ${D} COMMAND sh -c
  "${EVAL} --run ${W}/runs/tiny_cal --data test.csv --format json > ${W}/cal.json && ${FM_PYTHON3} -c \"import json; r = json.load(open('${W}/cal.json'))['results'][0]; t = json.load(open('${W}/runs/tiny_cal/postprocess.json'))['temperature']; assert r['postprocess']['temperature'] == t, r['postprocess']; c = r['calibration']; assert len(c['bins']) == 15 and c['rows'] == 40 and sum(b['count'] for b in c['bins']) == 40, c; assert all(isinstance(c[k], float) for k in ('ece', 'mce', 'brier', 'brier_positive', 'nll')), c; assert c['positive_label'] == 'toxic'\"")
set_tests_properties(cli.eval_temperature cli.eval_calibration_markdown cli.eval_calibration_json
  PROPERTIES FIXTURES_REQUIRED tiny_cal_run LABELS cli)
set_tests_properties(cli.eval_no_temperature PROPERTIES FIXTURES_REQUIRED tiny_run LABELS cli)

# Thresholds: fm-eval says so, and each y_pred in the predictions CSV is the rule of
# postprocess.json applied to p_toxic with the documented coin (recomputed in Python).
fm_cli_test(eval_thresholds 0 ".*"
  --stdout "^decisions: per-group thresholds \\(demographic_parity on gender\\)" --
  ${EVAL} --run ${W}/runs/tiny_dp --data test.csv)
add_test(NAME cli.eval_thresholds_rule WORKING_DIRECTORY ${D} COMMAND sh -c
  "${EVAL} --run ${W}/runs/tiny_dp --data test.csv --predictions ${W}/dp.csv > /dev/null && ${FM_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/check_thresholds.py ${W}/runs/tiny_dp/postprocess.json ${W}/dp.csv")
# fm-audit in run mode audits the same post-processed decisions as fm-eval's predictions file.
add_test(NAME cli.audit_run_postprocessed WORKING_DIRECTORY ${D} COMMAND sh -c
  "${EVAL} --run ${W}/runs/tiny_dp --data test.csv --predictions ${W}/dp2.csv > /dev/null && ${AUDIT_BIN} --run ${W}/runs/tiny_dp --data test.csv --group-column gender --bootstrap 0 --set counterfactual=false --format json --output ${W}/dp_run.json; ${AUDIT_BIN} --predictions ${W}/dp2.csv --group-column gender --bootstrap 0 --format json --output ${W}/dp_csv.json; ${FM_PYTHON3} -c \"import json; a = json.load(open('${W}/dp_run.json')); b = json.load(open('${W}/dp_csv.json')); key = lambda m: (m['name'], m['column'], m['group'], m['label']); va = {key(m): m['value'] for m in a['metrics'] if m['name'] in ('selection_rate', 'tpr', 'fpr')}; vb = {key(m): m['value'] for m in b['metrics'] if m['name'] in ('selection_rate', 'tpr', 'fpr')}; assert va and va == vb, (va, vb)\"")
set_tests_properties(cli.eval_thresholds cli.eval_thresholds_rule cli.audit_run_postprocessed
  PROPERTIES FIXTURES_REQUIRED tiny_dp_run LABELS cli)

# Configuration mistakes fail before training (exit 2, no run directory).
fm_cli_test(calibrate_without_validation 2
  "training\\.calibrate: \"temperature\" needs a validation set" --absent ${W}/runs/e_cal --
  ${TRAIN} --config tiny.json --set data.validation_split=0 --set training.calibrate=temperature
  --output ${W}/runs/e_cal)
fm_cli_test(thresholds_unknown_positive 2
  "training\\.fairness\\.thresholds\\.positive_label: \"spam\" is not a label" --absent ${W}/runs/e_thr --
  ${TRAIN} --config tiny.json --set training.fairness.group_column=gender
  --set training.fairness.thresholds.objective=equalized_odds
  --set training.fairness.thresholds.positive_label=spam --output ${W}/runs/e_thr)

# A corrupt postprocess.json is a model error (exit 4) naming the file.
add_test(NAME cli.corrupt_postprocess WORKING_DIRECTORY ${D} COMMAND sh -c
  "rm -rf ${W}/runs/bad_post && cp -r ${W}/runs/tiny_cal ${W}/runs/bad_post && python3 ${CMAKE_CURRENT_SOURCE_DIR}/strip_digests.py ${W}/runs/bad_post && echo '{\"format\": 1, \"temperature\": \"hot\"}' > ${W}/runs/bad_post/postprocess.json && ${EXPECT} 4 'postprocess\\.json: temperature must be a positive number' -- ${EVAL} --run ${W}/runs/bad_post --data test.csv")
set_tests_properties(cli.corrupt_postprocess PROPERTIES FIXTURES_REQUIRED tiny_cal_run LABELS cli)
