"""A strict JSON Schema of one Argo Workflows kind, printed on stdout.

    python3 argo_schema.py CronWorkflow > cron-workflow.schema.json

Derived from hera's models (PyPI `hera`, Argo's Python SDK), which are generated from Argo's
OpenAPI specification: every field, its type, the Kubernetes types inside (containers,
volumes, security contexts). Those models accept keys they do not know, so every object
here gets `additionalProperties: false`: a misspelt field, which Argo would drop without a
word, is an error. `apiVersion` and `kind` are pinned. Exit 3 when hera is not installed.
"""

import json
import sys

try:
    from hera.workflows import models
except ImportError as error:
    print(f"missing: {error} (pip install hera)")
    sys.exit(3)


def strict(node):
    """Closes every object that lists its properties; maps (`additionalProperties: {...}`)
    and free-form values (no properties) stay as they are."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            strict(value)
    elif isinstance(node, list):
        for value in node:
            strict(value)


kind = sys.argv[1]
model = getattr(models, kind)
schema = model.model_json_schema(by_alias=True)
strict(schema)
schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
schema["properties"]["apiVersion"] = {"const": "argoproj.io/v1alpha1"}
schema["properties"]["kind"] = {"const": kind}
schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata", "spec"})
json.dump(schema, sys.stdout, indent=1)
