"""Per-role debug settings."""

from smdebug_local.roles import ROLES, plan, worker_count


def serving_service(env):
    return {"volumes": ["/m:/opt/ml/model", "/home/me/src:/opt/ml/code"], "environment": env}


def test_training_defaults(sdk_training_compose):
    service = sdk_training_compose["services"]["algo-1-ab1cd"]
    p = plan(ROLES["training"], service, wait=None)
    assert p.wait is True and p.port_count == 1 and p.volumes == ()
    assert p.match == ("/opt/ml/code/*",)
    assert [remote for _, remote in p.mappings] == ["/opt/ml/code"]


def test_training_user_mapping_makes_baked_in_programs_user_code():
    p = plan(ROLES["training"], {"volumes": []}, wait=False,
             user_mappings=(("/home/me/program", "/opt/program"),))
    assert p.match == ("/opt/ml/code/*", "/opt/program/*") and p.wait is False
    assert p.mappings == (("/home/me/program", "/opt/program"),)


def test_serving_mounts_live_source_over_the_repacked_copy_and_maps_it():
    p = plan(ROLES["serving"], serving_service(["SAGEMAKER_MODEL_SERVER_WORKERS=2"]),
             wait=None, cpus=8)
    assert p.wait is False and p.port_count == 2
    assert p.volumes == ("/home/me/src:/opt/ml/model/code",)
    assert p.mappings == (("/home/me/src", "/opt/ml/model/code"),
                          ("/home/me/src", "/opt/ml/code"))
    assert p.env_defaults["SAGEMAKER_MODEL_SERVER_TIMEOUT"] == "3600"
    assert "*/ts/model_service_worker.py" in p.match


def test_serving_wait_only_when_asked_and_map_roots_are_not_entry_points():
    p = plan(ROLES["serving"], serving_service([]), wait=True, cpus=2,
             user_mappings=(("/home/me/program", "/opt/program"),))
    assert p.wait is True and "/opt/program/*" not in p.match
    assert ("/home/me/program", "/opt/program") in p.mappings


def test_worker_count():
    assert worker_count({"SAGEMAKER_MODEL_SERVER_WORKERS": "3"}, cpus=8) == 3
    assert worker_count({"MODEL_SERVER_WORKERS": "2"}, cpus=8) == 2
    assert worker_count({"SAGEMAKER_MODEL_SERVER_WORKERS": "x"}, cpus=4) == 4
    assert worker_count({}, cpus=0) == 1
