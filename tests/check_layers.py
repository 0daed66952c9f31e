"""Includes point down the layers of DESIGN.md, and private headers stay private.

Layers, top to bottom (a folder may include its own tier and every tier below it):
  apps -> jobs -> runs/train/explain/model -> mitigation/fairness/eval/privacy/report
       -> data/text/config -> io and the base headers (fm/error.h, log.h, version.h, ...)
Leaf headers any layer may include: plain option structs (*/options.h), the metric catalogue
(fairness/catalogue.h) and the run directory's file names (runs/run_files.h).
Also: fmkit_core (every tier but runs/train/explain/model and the LibTorch jobs) includes no torch.
Run: python3 tests/check_layers.py [SOURCE_DIR]
"""
import re
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
TIERS = [
    {"io", ""},  # "" = base headers directly under include/fm
    {"data", "text", "config"},
    {"mitigation", "fairness", "eval", "privacy", "report"},
    {"runs", "train", "explain", "model"},
    {"jobs"},
]
LEAVES = re.compile(r"^fm/([a-z_]+/options\.h|fairness/catalogue\.h|runs/run_files\.h)$")
# Files of the LibTorch tiers that are built into fmkit_core anyway (src/CMakeLists.txt's
# FM_CORE_JOBS): they, and every header they include, must stay torch-free.
CORE_IN_TORCH_TIERS = {"jobs/audit", "jobs/privacy", "runs/run_json", "runs/trainer_state",
                       "runs/staging", "runs/postprocess", "runs/run_files"}
INCLUDE = re.compile(r'^\s*#\s*include\s+[<"]([^">]+)[">]', re.M)


def tier_of(folder):
    for i, tier in enumerate(TIERS):
        if folder in tier:
            return i
    raise SystemExit(f"check_layers.py: folder {folder!r} is in no tier; add it to TIERS")


def module_of(path):
    """(folder, tier) of a file under src/ or include/fm/."""
    rel = path.relative_to(root)
    parts = rel.parts[2:] if rel.parts[0] == "include" else rel.parts[1:]
    folder = parts[0] if len(parts) > 1 else ""
    return folder, tier_of(folder)


def is_torch_file(path, folder):
    if f"{folder}/{path.stem}" in CORE_IN_TORCH_TIERS:
        return False
    return folder in TIERS[3] | TIERS[4]


problems = []
files = sorted(p for d in ("src", "include/fm") for p in (root / d).rglob("*") if p.suffix in (".h", ".cpp"))
for path in files:
    folder, tier = module_of(path)
    torch_free = not is_torch_file(path, folder)
    for inc in INCLUDE.findall(path.read_text(encoding="utf-8")):
        if inc.startswith("torch/") and torch_free:
            problems.append(f"{path.relative_to(root)}: includes <{inc}> but is built into fmkit_core")
        if not inc.startswith("fm/") or LEAVES.match(inc):
            continue
        target = inc.split("/")
        target_folder = target[1] if len(target) > 2 else ""
        if tier_of(target_folder) > tier:
            problems.append(f"{path.relative_to(root)}: includes {inc} (tier {tier_of(target_folder)} "
                            f"above its own tier {tier})")
        target_key = f"{target_folder}/{Path(inc).stem}"
        if (torch_free and target_folder in TIERS[3] | TIERS[4]
                and target_key not in CORE_IN_TORCH_TIERS):
            problems.append(f"{path.relative_to(root)}: includes {inc}, which needs LibTorch")
for header in (root / "include/fm").rglob("*.h"):
    for inc in INCLUDE.findall(header.read_text(encoding="utf-8")):
        if inc.startswith("fm/") and not (root / "include" / inc).exists():
            problems.append(f"{header.relative_to(root)}: public header includes {inc}, "
                            "which is not public (src/ headers stay private)")
if problems:
    print("\n".join(problems))
    print(f"FAIL: {len(problems)} include(s) break the layering of DESIGN.md")
    sys.exit(1)
print(f"ok: {len(files)} files, every fmkit include points down the layers")
