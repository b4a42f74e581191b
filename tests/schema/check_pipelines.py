#!/usr/bin/env python3
"""Check pipeline files against schemas/pipeline.schema.json and `runnel validate`.

usage: check_pipelines.py RUNNEL [FILE...]

RUNNEL is the runnel binary (or "--no-binary" to check the schema only).
Without FILEs, every pipelines/*.yaml of the repository is checked.
Each file must validate against the JSON Schema (Draft 2020-12) and
`RUNNEL validate FILE` must exit 0. Exits 1 listing every failure, 2 on
bad usage.
"""
import glob
import json
import os
import re
import subprocess
import sys

import jsonschema
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(REPO, "schemas", "pipeline.schema.json")


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML speaks YAML 1.1, where `on`, `yes` and `no` are booleans and
    2024-01-01 is a date; runnel (yaml-cpp) reads them as strings, so only
    true/false are booleans here and there are no timestamps. Without this,
    a join's `on:` key would become True."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def schema_errors(validator, path):
    with open(path, encoding="utf-8") as f:
        try:
            document = yaml.load(f, Loader=Yaml12Loader)
        except yaml.YAMLError as e:
            return [f"not valid YAML: {e}"]
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    messages = []
    for error in errors:
        # anyOf/oneOf failures are vague at the top; the deepest cause says what is wrong.
        best = jsonschema.exceptions.best_match([error])
        where = ".".join(str(p) for p in best.absolute_path) or "(top level)"
        messages.append(f"{where}: {best.message}")
    return list(dict.fromkeys(messages))  # one cause may fail several branches


def runnel_errors(runnel, path):
    try:
        result = subprocess.run([runnel, "validate", path], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return [f"cannot run {runnel}: {e}"]
    if result.returncode == 0:
        return []
    return [f"`runnel validate` exited {result.returncode}: {result.stderr.strip() or result.stdout.strip()}"]


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    runnel = None if argv[1] == "--no-binary" else argv[1]
    files = argv[2:] or sorted(glob.glob(os.path.join(REPO, "pipelines", "*.yaml")))
    if not files:
        print("check_pipelines: no pipeline files to check", file=sys.stderr)
        return 0
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    failed = 0
    for path in files:
        problems = [f"schema: {m}" for m in schema_errors(validator, path)]
        if runnel:
            problems += runnel_errors(runnel, path)
        if problems:
            failed += 1
            for p in problems:
                print(f"{path}: {p}", file=sys.stderr)
    print(f"check_pipelines: {len(files) - failed} of {len(files)} pipeline files OK", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
