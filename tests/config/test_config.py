import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dce.config.study import load_config
from dce.errors import ConfigError
from tests.conftest import SMALL, write_config


def errors_of(path):
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [p.format() for p in info.value.problems]


def test_small_config_loads(small_config):
    study = load_config(small_config)
    assert [a.name for a in study.attributes] == ["quality", "similar", "waiting"]
    assert study.attribute("waiting").is_linear
    # YAML 1.2 booleans: No/Yes stay text levels
    assert study.attribute("similar").levels == ("No", "Yes")


def test_unknown_key_has_line_and_suggestion(tmp_path):
    text = SMALL.replace("  tasks: 8", "  taks: 8")
    errs = errors_of(write_config(tmp_path, text))
    assert any(":19: design.taks: unknown key 'taks'; did you mean 'tasks'?" in e for e in errs)


def test_wrong_type_names_value(tmp_path):
    errs = errors_of(write_config(tmp_path, SMALL.replace("seed: 7", "seed: seven")))
    assert any(":3: seed:" in e and "'seven'" in e for e in errs)


def test_all_problems_reported_at_once(tmp_path):
    text = SMALL.replace("High: 1.2", "Hihg: 1.2").replace("Yes: 0.2", "Yess: 0.2")
    errs = errors_of(write_config(tmp_path, text))
    assert len(errs) == 2
    assert "did you mean 'High'" in errs[0] and "did you mean 'Yes'" in errs[1]


def test_exclude_unknown_level(tmp_path):
    text = SMALL.replace("  blocks: 2", "  blocks: 2\n  exclude: [{quality: Top}]")
    errs = errors_of(write_config(tmp_path, text))
    assert any("design.exclude[0].quality" in e and "'Top' is not a level" in e for e in errs)


def test_python_tags_are_refused(tmp_path):
    text = SMALL + "output: !!python/object/apply:os.system ['echo hacked']\n"
    errs = errors_of(write_config(tmp_path, text))
    assert any("not allowed in a config" in e for e in errs)


def test_duplicate_key(tmp_path):
    errs = errors_of(write_config(tmp_path, SMALL + "seed: 8\n"))
    assert any("duplicate key 'seed'" in e for e in errs)


def test_paths_relative_to_config(tmp_path):
    path = write_config(tmp_path / "sub", SMALL + "output: ../out\n")
    study = load_config(path)
    assert study.resolve(study.spec.output) == (tmp_path / "out").resolve()


def test_schema_command_prints_json_schema():
    out = subprocess.run([sys.executable, "-m", "dce", "schema"], capture_output=True,
                         text=True, check=True).stdout
    schema = json.loads(out)
    assert "attributes" in schema["properties"]
    assert schema["additionalProperties"] is False


def test_getting_started_design_only_config_validates(tmp_path):
    """The design-only config of docs/getting-started.md (section 2), saved as the page
    says, is a whole config: schema_version, name and seed included."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "getting-started.md").read_text()
    section = page.split("## 2.")[1].split("## 3.")[0]
    [snippet] = re.findall(r"```yaml\n(.*?)```", section, re.S)
    study = load_config(write_config(tmp_path, snippet, "design_only.yaml"))
    assert study.spec.schema_version == 1 and study.spec.output == "design"
    assert study.spec.choices is None and study.spec.design.tasks == 8
