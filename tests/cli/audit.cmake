# fm-audit end to end on tiny predictions files (tests/data/audit). In biased.csv group "a" has
# tpr 0.75 / fpr 0.25 and group "b" tpr 0.5 / fpr 0.5, so equalized_odds_difference = 0.25; in
# fair.csv both groups have tpr 0.75 / fpr 0.25 (difference 0).
set(AUDIT $<TARGET_FILE:fm-audit>)
set(AD ${PROJECT_SOURCE_DIR}/tests/data/audit)
set(AW ${CMAKE_CURRENT_BINARY_DIR}/audit)
file(MAKE_DIRECTORY ${AW})

function(fm_audit_test name)
  add_test(NAME cli.audit_${name} COMMAND ${EXPECT} ${ARGN} WORKING_DIRECTORY ${AD})
  set_tests_properties(cli.audit_${name} PROPERTIES LABELS cli)
endfunction()

# Exit 0: every gate passes; the JUnit file has one test case per gate outcome (1 + 2 groups).
fm_audit_test(pass 0 ".*" --clean ${AW}/pass.xml --stdout "^verdict: PASS \\(3 gates: 3 passed" --
  ${AUDIT} --config fair_policy.json --junit ${AW}/pass.xml)
fm_audit_test(help 0 ".*" --stdout "Exit codes: 0 success" -- ${AUDIT} --help)
fm_audit_test(print_config 0 ".*" --stdout "\"samples\": 7" --
  ${AUDIT} --config fair_policy.json --set bootstrap.samples=7 --print-config)
fm_audit_test(markdown 0 ".*" --stdout "^## fm-audit: PASS" --
  ${AUDIT} --config fair_policy.json --format markdown)

# Exit 1: a gate fails (flags only, no policy file), and the policy's gates on the biased file.
fm_audit_test(gate_fails 1 "verdict: fail" --stdout "FAIL +equalized_odds_difference <= 0\\.1" --
  ${AUDIT} --predictions biased.csv --group-column gender --gate "equalized_odds_difference<=0.1"
  --bootstrap 0 --log-level info)
fm_audit_test(policy_fails 1 ".*" --stdout "tpr\\[gender=b, label=toxic\\] 0\\.5 < min 0\\.7" --
  ${AUDIT} --config fair_policy.json --set predictions=biased.csv)

# The JUnit file parses as XML: 3 test cases, 2 failures (eod and group b's tpr).
add_test(NAME cli.audit_junit_well_formed WORKING_DIRECTORY ${AD} COMMAND sh -c
  "rm -f ${AW}/fail.xml; ${AUDIT} --config fair_policy.json --set predictions=biased.csv --junit ${AW}/fail.xml >/dev/null 2>&1; test $? -eq 1 && ${FM_PYTHON3} -c \"import xml.etree.ElementTree as ET; r = ET.parse('${AW}/fail.xml').getroot(); c = r.findall('.//testcase'); f = r.findall('.//failure'); assert len(c) == 3 and len(f) == 2, (len(c), len(f)); assert 'equalized_odds_difference' in f[0].get('message')\"")

# JSON report, CSV, and a baseline: fair as the baseline, biased (with loosened gates) regresses.
add_test(NAME cli.audit_json_csv WORKING_DIRECTORY ${AD} COMMAND sh -c
  "rm -f ${AW}/base.json ${AW}/base.csv; ${AUDIT} --config fair_policy.json --format json --output ${AW}/base.json --csv ${AW}/base.csv && ${FM_PYTHON3} -c \"import json, csv; j = json.load(open('${AW}/base.json')); assert j['verdict'] == 'pass' and j['rows'] == 16; m = [x for x in j['metrics'] if x['name'] == 'equalized_odds_difference' and x['column'] == 'gender']; assert abs(m[0]['value']) < 1e-12, m; rows = list(csv.DictReader(open('${AW}/base.csv'))); assert len(rows) == len(j['metrics']); assert [r['value'] for r in rows if r['metric'] == 'tpr' and r['group'] == 'a'] == ['0.75']\"")
set_tests_properties(cli.audit_json_csv PROPERTIES FIXTURES_SETUP audit_baseline)
fm_audit_test(baseline_regression 1 ".*" --stdout "equalized_odds_difference\\[gender, label=toxic\\] 0 -> 0\\.25: worse by 0\\.25" --
  ${AUDIT} --config fair_policy.json --set predictions=biased.csv --set gates.0.max=0.5
  --set gates.1.min=0.4 --baseline ${AW}/base.json)
fm_audit_test(baseline_same 0 ".*" --stdout "baseline: 0 regressions" --
  ${AUDIT} --config fair_policy.json --baseline ${AW}/base.json)
set_tests_properties(cli.audit_baseline_regression cli.audit_baseline_same PROPERTIES
  FIXTURES_REQUIRED audit_baseline)

# Exit 2: usage and policy errors.
fm_audit_test(unknown_flag 2 "^fm-audit: error: .*--bogus" -- ${AUDIT} --bogus)
fm_audit_test(unknown_metric 2 "gates\\[0\\]\\.metric: unknown metric .*did you mean \"equalized_odds_difference\"" --
  ${AUDIT} --config bad_gate_policy.json)
fm_audit_test(bound_without_bootstrap 2 "gates\\[0\\]\\.on must be \"value\" when bootstrap\\.samples is 0" --
  ${AUDIT} --config bound_no_bootstrap.json)
fm_audit_test(malformed_policy 2 "malformed_policy\\.json:4:[0-9]+: malformed JSON" --
  ${AUDIT} --config malformed_policy.json)
fm_audit_test(policy_typo 2 "bootstrp: unknown key \\(did you mean \"bootstrap\"\\?\\)" --
  ${AUDIT} --config typo_policy.json)
fm_audit_test(no_input 2 "predictions: required" -- ${AUDIT} --group-column gender)
fm_audit_test(bad_format 2 "outputs\\.format: expected one of" --
  ${AUDIT} --config fair_policy.json --format html)
fm_audit_test(bad_gate_flag 2 "--gate tpr<0\\.5: expected METRIC<=NUMBER" --
  ${AUDIT} --config fair_policy.json --gate "tpr<0.5")
fm_audit_test(unknown_positive 2 "positive_label: \"spam\" is not a class" --
  ${AUDIT} --config fair_policy.json --positive spam)

# Exit 3: data errors, nothing written.
fm_audit_test(missing_column 3 "biased\\.csv:1: no column \"gendr\"" --absent ${AW}/e1.xml --
  ${AUDIT} --predictions biased.csv --group-column gendr --junit ${AW}/e1.xml)
fm_audit_test(bad_score 3 "bad_score\\.csv:3: column \"p_toxic\": expected a finite number" --
  ${AUDIT} --predictions bad_score.csv --group-column gender)
fm_audit_test(score_not_probability 3 "logit_score\\.csv:3: .*expected a probability in \\[0, 1\\]" --
  ${AUDIT} --predictions logit_score.csv --group-column gender)
fm_audit_test(header_only 3 "header_only\\.csv:1: no predictions" --
  ${AUDIT} --predictions header_only.csv --group-column gender)
fm_audit_test(missing_predictions 3 "absent\\.csv: cannot open" --
  ${AUDIT} --predictions absent.csv --group-column gender)
fm_audit_test(missing_baseline 3 "absent\\.json: cannot open" --absent ${AW}/e2.xml --
  ${AUDIT} --config fair_policy.json --baseline absent.json --junit ${AW}/e2.xml)

# Other tools' files: one score column, integer labels, weights.
fm_audit_test(other_tool 0 ".*" --stdout "classes 0, 1. positive 1" --
  ${AUDIT} --predictions other_tool.csv --group-column gender --true-column label
  --pred-column pred --score-column score --weight-column w --bootstrap 0)

# The whole quickstart, end to end: train on the skewed example data (one thread, same seed as the
# README), then the shipped policy must FAIL the model (exit 1) — it learnt the identity-term skew.
add_test(NAME cli.audit_quickstart_policy_fails WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  COMMAND sh -c "${TRAIN} --config configs/quickstart.json --set training.threads=1 --output ${W}/runs/quickstart >/dev/null 2>&1 && ${EXPECT} 1 '.*' --stdout '^verdict: FAIL' -- ${AUDIT} --config configs/audit-policy.json --predictions ${W}/runs/quickstart/test_predictions.csv --bootstrap 200")
set_tests_properties(cli.audit_quickstart_policy_fails PROPERTIES LABELS cli)

# Auditing a run directly (predicts the data, then audits; no gates → exit 0).
add_test(NAME cli.audit_run WORKING_DIRECTORY ${D} COMMAND ${EXPECT} 0 ".*"
  --stdout "^verdict: PASS \\(0 gates" --
  ${AUDIT} --run ${W}/runs/tiny --data test.csv --group-column gender --bootstrap 50)
set_tests_properties(cli.audit_run PROPERTIES FIXTURES_REQUIRED tiny_run LABELS cli)

# fm-audit is torch-free and hands run mode to fm-audit-run (exec from its own directory).
set(AUDIT_RUN $<TARGET_FILE:fm-audit-run>)
# No LibTorch in fm-audit's dependencies; fm-audit-run's shows that the pattern finds it where it
# is linked. Skipped (77) where ldd is missing.
add_test(NAME cli.audit_no_libtorch COMMAND sh -c
  "command -v ldd >/dev/null || exit 77; ldd ${AUDIT_RUN} | grep -q 'libtorch' || { echo 'no libtorch in ldd of fm-audit-run: the check cannot see it'; exit 1; }; if ldd ${AUDIT} | grep -E 'libtorch|libc10'; then echo 'fm-audit links LibTorch'; exit 1; fi")
set_tests_properties(cli.audit_no_libtorch PROPERTIES SKIP_RETURN_CODE 77 LABELS cli)

# A run-mode policy file (not flags) goes through fm-audit-run: as many rows as the data file (40),
# counterfactual token fairness (only the LibTorch side computes it), and every other metric equal
# to auditing fm-eval's predictions of the same run in fm-audit's own process (scores are written
# with 9 digits, which keep the floats' order, so even the AUCs agree exactly).
file(WRITE ${AW}/run_policy.json "{\"run\": \"${W}/runs/tiny\", \"data\": \"${D}/test.csv\",
  \"group_columns\": [\"gender\"], \"bootstrap\": {\"samples\": 0}}\n")
add_test(NAME cli.audit_run_policy_file WORKING_DIRECTORY ${D} COMMAND sh -c
  "rm -f ${AW}/run.json ${AW}/run-preds.json ${AW}/run-preds.csv && ${AUDIT} --config ${AW}/run_policy.json --format json --output ${AW}/run.json && ${EVAL} --run ${W}/runs/tiny --data test.csv --predictions ${AW}/run-preds.csv >/dev/null && ${AUDIT} --predictions ${AW}/run-preds.csv --group-column gender --bootstrap 0 --format json --output ${AW}/run-preds.json && ${FM_PYTHON3} -c \"import json\nr = json.load(open('${AW}/run.json')); p = json.load(open('${AW}/run-preds.json'))\nassert r['rows'] == 40 and r['input'].startswith('run '), (r['rows'], r['input'])\nkey = lambda m: (m['name'], m.get('column'), m.get('group'), m.get('label'), m.get('threshold'))\nrm = {key(m): m['value'] for m in r['metrics'] if not m['name'].startswith('ctf_')}\npm = {key(m): m['value'] for m in p['metrics']}\nassert any(m['name'].startswith('ctf_') for m in r['metrics'])\nassert len(rm) > 100 and rm.keys() == pm.keys(), (len(rm), set(rm) ^ set(pm))\nbad = [k for k in rm if rm[k] != pm[k]]\nassert not bad, [(k, rm[k], pm[k]) for k in bad]\"")
set_tests_properties(cli.audit_run_policy_file PROPERTIES FIXTURES_REQUIRED tiny_run LABELS cli)
# A run-mode policy read from a pipe: fm-audit-run gets the resolved policy, not the used-up pipe.
add_test(NAME cli.audit_run_policy_from_pipe WORKING_DIRECTORY ${D} COMMAND sh -c
  "rm -f ${AW}/run-pipe.json && ${AUDIT} --config /dev/stdin --bootstrap 0 --format json --output ${AW}/run-pipe.json < ${AW}/run_policy.json && ${FM_PYTHON3} -c \"import json\nr = json.load(open('${AW}/run-pipe.json'))\nassert r['rows'] == 40 and r['input'].startswith('run '), (r['rows'], r['input'])\nassert r['policy']['bootstrap']['samples'] == 0, r['policy']['bootstrap']\"")
set_tests_properties(cli.audit_run_policy_from_pipe PROPERTIES FIXTURES_REQUIRED tiny_run LABELS cli)

# fm-audit copied alone: predictions-mode flags, --print-config and policy errors in run mode are
# still answered in-process; running a run is a clear exit-5 error naming the missing sibling.
add_test(NAME cli.audit_lone_copy COMMAND sh -c
  "rm -rf ${AW}/lone && mkdir -p ${AW}/lone && cp ${AUDIT} ${AW}/lone/fm-audit")
set_tests_properties(cli.audit_lone_copy PROPERTIES FIXTURES_SETUP audit_lone LABELS cli)
fm_audit_test(lone_pass 0 ".*" --stdout "^verdict: PASS" -- ${AW}/lone/fm-audit --config fair_policy.json)
fm_audit_test(lone_run_print_config 0 ".*" --stdout "\"run\": \"runs/x\"" --
  ${AW}/lone/fm-audit --run runs/x --data test.csv --print-config)
fm_audit_test(lone_run_config_error 2 "^fm-audit: error: .*data must be set when run is set" --
  ${AW}/lone/fm-audit --run runs/x --group-column gender)
fm_audit_test(lone_run_no_sibling 5 "^fm-audit: error: .*/lone/fm-audit-run: cannot execute \\(No such file or directory\\): auditing a run" --
  ${AW}/lone/fm-audit --run runs/x --data test.csv)
set_tests_properties(cli.audit_lone_pass cli.audit_lone_run_print_config
  cli.audit_lone_run_config_error cli.audit_lone_run_no_sibling PROPERTIES FIXTURES_REQUIRED audit_lone)
fm_audit_test(version 0 ".*" --stdout "^fm-audit \\(fmkit\\) [0-9]+\\.[0-9]+\\.[0-9]+$" --
  ${AUDIT} --version)

# The metric catalogue is the one source of metric documentation: the README's table is a copy.
add_test(NAME cli.audit_readme_catalogue COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_readme_catalogue.sh
         ${PROJECT_SOURCE_DIR}/README.md ${AUDIT})
set_tests_properties(cli.audit_readme_catalogue PROPERTIES LABELS cli)
fm_audit_test(list_metrics 0 ".*" --stdout "^bpsn_auc +borkan2019 +lower_is_worse" -- ${AUDIT} --list-metrics)
