"""Per-role debug settings."""

from smdebug_local.roles import ROLES, plan, worker_count


def serving_service(env):
    return {"volumes": ["/m:/opt/ml/model", "/home/me/src:/opt/ml/code"], "environment": env}


def test_training_defaults(sdk_training_compose):
    service = sdk_training_compose["services"]["algo-1-ab1cd"]
    p = plan(ROLES["training"], service, wait=None)
    assert p.wait is True and p.port_count == 1 and p.volumes == ()
    assert p.match == ("/opt/ml/code/*", "/opt/ml/input/data/code/*")
    assert [remote for _, remote in p.mappings] == ["/opt/ml/code"]


def test_training_user_mapping_makes_baked_in_programs_user_code():
    p = plan(
        ROLES["training"],
        {"volumes": []},
        wait=False,
        user_mappings=(("/home/me/program", "/opt/program"),),
    )
    assert p.match == ("/opt/ml/code/*", "/opt/ml/input/data/code/*", "/opt/program/*")
    assert p.wait is False
    assert p.mappings == (("/home/me/program", "/opt/program"),)


def test_serving_mounts_live_source_over_the_repacked_copy_and_maps_it():
    p = plan(
        ROLES["serving"], serving_service(["SAGEMAKER_MODEL_SERVER_WORKERS=2"]), wait=None, cpus=8
    )
    assert p.wait is False and p.port_count == 2
    assert p.volumes == ("/home/me/src:/opt/ml/model/code",)
    assert p.mappings == (("/home/me/src", "/opt/ml/model/code"), ("/home/me/src", "/opt/ml/code"))
    assert p.env_defaults["SAGEMAKER_MODEL_SERVER_TIMEOUT"] == "3600"
    assert "*/ts/model_service_worker.py" in p.match
    # Workers start their debugger when they import the user's code, not before.
    # (and DJL's and Triton's from the model folder, where they keep the user's code).
    assert p.defer == {
        "match": [
            "*/ts/model_service_worker.py",
            "*/mms/model_service_worker.py",
            "*/djl_python_engine.py",
            "*/triton_python_backend_stub",
        ],
        "roots": ["/opt/ml/model/code", "/opt/ml/code", "/opt/ml/model"],
    }
    assert plan(ROLES["training"], serving_service([]), wait=None).defer is None


def test_the_folder_the_stack_runs_the_code_from_is_mapped_first():
    """sagemaker-containers' gunicorn workers import from /opt/ml/code, not the model's copy:
    a debugger translates breakpoints by the first mapping of the user's folder."""
    p = plan(ROLES["serving"], serving_service([]), wait=None, cpus=1, runs_from="/opt/ml/code")
    assert p.mappings == (("/home/me/src", "/opt/ml/code"), ("/home/me/src", "/opt/ml/model/code"))
    assert p.volumes == ("/home/me/src:/opt/ml/model/code",)
    given = (("/home/me/program", "/opt/program"),)
    p = plan(
        ROLES["serving"],
        serving_service([]),
        wait=None,
        cpus=1,
        user_mappings=given,
        runs_from="/opt/ml/code",
    )
    assert p.mappings[0] == given[0] and p.mappings[1] == ("/home/me/src", "/opt/ml/code")


def test_serving_wait_only_when_asked_and_map_roots_are_not_entry_points():
    p = plan(
        ROLES["serving"],
        serving_service([]),
        wait=True,
        cpus=2,
        user_mappings=(("/home/me/program", "/opt/program"),),
    )
    assert p.wait is True and "/opt/program/*" not in p.match
    assert ("/home/me/program", "/opt/program") in p.mappings


def test_worker_count():
    assert worker_count({"SAGEMAKER_MODEL_SERVER_WORKERS": "3"}, cpus=8) == 3
    assert worker_count({"MODEL_SERVER_WORKERS": "2"}, cpus=8) == 2
    assert worker_count({"SAGEMAKER_MODEL_SERVER_WORKERS": "x"}, cpus=4) == 4
    assert worker_count({}, cpus=0) == 1


def test_model_trainer_code_channel_is_user_code():
    service = {
        "volumes": [
            "/home/me/src:/opt/ml/input/data/code",
            "/tmp/x/sm_drivers:/opt/ml/input/data/sm_drivers",
        ]
    }
    p = plan(ROLES["training"], service, wait=None)
    assert p.mappings == (("/home/me/src", "/opt/ml/input/data/code"),)
    assert p.wait is True


def test_processing_maps_the_users_folder_not_the_downloaded_copy():
    service = {
        "volumes": [
            "/tmp/tmpab12/code:/opt/ml/processing/input/code",
            "/tmp/tmpab12/data:/opt/ml/processing/input/data",
        ]
    }
    located = []

    def locate(copy_dir):
        located.append(copy_dir)
        return "/home/me/project/processing"

    p = plan(ROLES["processing"], service, wait=None, locate=locate)
    assert located == ["/tmp/tmpab12/code"]
    assert p.mappings == (("/home/me/project/processing", "/opt/ml/processing/input/code"),)
    assert p.match == ("/opt/ml/processing/input/code/*",) and p.wait is True
    # Not found: the copy stays mapped (the session says how to --map it).
    p = plan(ROLES["processing"], service, wait=None, locate=lambda copy_dir: None)
    assert p.mappings == (("/tmp/tmpab12/code", "/opt/ml/processing/input/code"),)


def test_training_code_is_never_relocated():
    service = {"volumes": ["/home/me/src:/opt/ml/code"]}
    p = plan(ROLES["training"], service, wait=None, locate=lambda copy_dir: "/elsewhere")
    assert p.mappings == (("/home/me/src", "/opt/ml/code"),)


def test_a_distributed_job_gets_a_port_per_rank_of_a_host():
    from smdebug_local.roles import processes_per_host

    torchrun = {
        "sagemaker_torch_distributed_enabled": "true",
        "sagemaker_mpi_num_of_processes_per_host": "2",
    }
    assert processes_per_host(torchrun, gpus=0) == 2
    # As local mode writes them: JSON-encoded strings.
    assert processes_per_host({"sagemaker_mpi_enabled": "true"}, gpus=4) == 4  # one per GPU
    assert processes_per_host({"sagemaker_mpi_enabled": True}, gpus=0) == 1
    # Not distributed: one entry point process, whatever else is set.
    assert processes_per_host({"sagemaker_mpi_num_of_processes_per_host": "8"}, gpus=2) == 1
    assert processes_per_host({}, gpus=8) == 1


def test_the_training_plan_reads_the_ranks_per_host(sdk_training_compose):
    service = sdk_training_compose["services"]["algo-1-ab1cd"]
    hyperparameters = {
        "sagemaker_torch_distributed_enabled": "true",
        "sagemaker_mpi_num_of_processes_per_host": "3",
    }
    p = plan(ROLES["training"], service, wait=None, hyperparameters=hyperparameters)
    assert p.port_count == 3
    assert plan(ROLES["training"], service, wait=None).port_count == 1


def test_with_ranks_a_host_gets_ports_for_its_debugged_ranks_only():
    from smdebug_local.roles import slot_ranks

    assert slot_ranks(2, "algo-1", None) == (0, 1)
    assert slot_ranks(2, "algo-2", None) == (2, 3)
    assert slot_ranks(2, "algo-1", (0,)) == (0,)
    assert slot_ranks(2, "algo-2", (0,)) == ()  # none of its ranks: the plan keeps one port
    assert slot_ranks(2, "algo-2", (0, 2, 3)) == (2, 3)
    assert slot_ranks(4, "algo-1", (1, 2, 3)) == (1, 2, 3)
    assert slot_ranks(2, "worker", (0,)) is None  # not a local-mode host name


def test_the_plan_of_a_distributed_host_says_which_rank_each_port_is_for(sdk_training_compose):
    service = sdk_training_compose["services"]["algo-1-ab1cd"]
    two = {
        "sagemaker_torch_distributed_enabled": "true",
        "sagemaker_mpi_num_of_processes_per_host": "2",
    }

    def planned(host, ranks):
        p = plan(ROLES["training"], service, wait=None, hyperparameters=two, host=host, ranks=ranks)
        return p.port_count, p.slot_ranks

    assert planned("algo-2", None) == (2, (2, 3))
    assert planned("algo-2", (0, 3)) == (1, (3,))
    assert planned("algo-2", (0,)) == (1, ())  # none of its ranks debugged: one unused port
    assert planned("worker", (0,)) == (2, ())  # not a local-mode host name: by start order


def test_model_trainers_distributed_config_sets_the_ranks_per_host():
    from smdebug_local.roles import processes_per_host

    torchrun = {"process_count_per_node": 2, "smp": None}  # Torchrun(process_count_per_node=2)
    assert processes_per_host({}, gpus=0, distributed=torchrun) == 2
    assert processes_per_host({}, gpus=4, distributed={"process_count_per_node": None}) == 4
    assert processes_per_host({}, gpus=0, distributed={}) == 1  # not distributed


def test_job_resources_reads_both_sdks_files(tmp_path):
    import json

    from smdebug_local.containers import job_resources

    (tmp_path / "input" / "config").mkdir(parents=True)
    (tmp_path / "input" / "config" / "hyperparameters.json").write_text(
        json.dumps({"sagemaker_mpi_enabled": "true"})
    )
    (tmp_path / "drivers").mkdir()
    (tmp_path / "drivers" / "distributed.json").write_text('{"process_count_per_node": 3}')
    service = {
        "volumes": [
            f"{tmp_path / 'input'}:/opt/ml/input",
            f"{tmp_path / 'drivers'}:/opt/ml/input/data/sm_drivers",
        ]
    }
    found = job_resources(service)
    assert found["hyperparameters"] == {"sagemaker_mpi_enabled": "true"}
    assert found["distributed"] == {"process_count_per_node": 3}
    assert found["gpus"] == 0
    assert job_resources({"volumes": []}) == {"hyperparameters": {}, "gpus": 0, "distributed": {}}
