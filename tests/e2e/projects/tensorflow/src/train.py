"""TensorFlow script-mode training, run by the SageMaker TensorFlow toolkit.

One host: fit y = 2x + 1 with Keras. With TF_CONFIG (the toolkit's distributions):
``multi_worker_mirrored_strategy`` -- an all-reduce of each worker's number over the
workers; ``parameter_server`` -- a computation placed on this host's parameter server (the
``tf.distribute.Server`` the toolkit started). The chief (``master`` / worker 0) saves the
model in SM_MODEL_DIR.
"""

import argparse
import json
import os

import numpy as np
import tensorflow as tf

parser = argparse.ArgumentParser()
parser.add_argument("--model_dir")
parser.add_argument("--epochs", type=int, default=300)
args, _ = parser.parse_known_args()

config = json.loads(os.environ.get("TF_CONFIG") or "{}")
cluster, task = config.get("cluster", {}), config.get("task", {})
task_name = "%s %s" % (task.get("type", "single"), task.get("index", 0))

if "ps" in cluster:
    # This task's server and the parameter servers only: no other task's server is needed.
    # Host N runs the N-th parameter server: the master is on the first host, worker i on
    # host i + 2.
    tf.config.experimental_connect_to_cluster(
        tf.train.ClusterSpec(
            {task["type"]: [cluster[task["type"]][task["index"]]], "ps": cluster["ps"]}
        ),
        job_name=task["type"],
        task_index=0,
    )
    ps_task = 0 if task["type"] == "master" else task["index"] + 1
    with tf.device("/job:ps/task:%d" % ps_task):
        result = float(tf.reduce_sum(tf.constant([1.0, 2.0, 3.0]) * 2.0))
    print("%s: computed %s on parameter server %d" % (task_name, result, ps_task), flush=True)
    chief = task["type"] == "master"
elif cluster.get("worker"):
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    number = tf.constant(float(task["index"] + 1))
    result = float(
        strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(lambda: number), axis=None)
    )
    print("%s: all-reduced %s" % (task_name, result), flush=True)
    chief = task["index"] == 0
else:
    tf.keras.utils.set_random_seed(0)
    xs = np.arange(8, dtype=np.float32).reshape(-1, 1)
    model = tf.keras.Sequential([tf.keras.Input(shape=(1,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.1), loss="mse")
    model.fit(xs, 2 * xs + 1, epochs=args.epochs, verbose=0)
    result = float(model.predict(np.array([[3.0]]), verbose=0)[0][0])
    print("%s: prediction for 3 is %.1f" % (task_name, result), flush=True)
    chief = True

summary = {"task": task_name, "result": result}  # tf breakpoint
if chief:
    with open(os.path.join(os.environ["SM_MODEL_DIR"], "result.json"), "w") as f:
        json.dump(summary, f)
print("%s done" % task_name, flush=True)
