#!/bin/sh
# Reproduces docs/results/control-2.md (issue 16: PRDC, f-DVL, ReCOIL,
# ARSQ over the D5-lite suite). Every bench resumes: a cell whose
# summary.json exists is read, not retrained, so rerunning this script
# only prints the tables again. OUT (default runs) holds the benches.
set -e
OUT=${OUT:-runs}
go build -o /tmp/autodidact-c2 ./cmd/autodidact
AD=/tmp/autodidact-c2

# 1. PRDC vs TD3+BC: 2 envs x 4 kinds x 3 seeds, 10k gradient steps.
$AD control bench --algo td3bc,prdc --envs Pendulum-v1,MountainCarContinuous-v0 \
	--kinds random,expert,noisy,mixed --seeds 1,2,3 --steps 10000 --out $OUT/c2-suite

# 2. f-DVL (chi-square, lambda 0.9) vs IQL (expectile 0.7), rewards x 0.1, 5k steps, Pendulum.
$AD control bench --algo iql,fdvl --envs Pendulum-v1 --kinds random,expert,noisy,mixed \
	--seeds 1,2,3 --steps 5000 --set reward_scale=0.1 --out $OUT/c2-dvl

# 3. ReCOIL (expert: one clean scripted episode; suboptimal: the mixed data) vs BC on each.
$AD control bench --algo recoil --envs Pendulum-v1 --kinds mixed --expert-kind expert1 \
	--seeds 1,2,3 --steps 5000 --out $OUT/c2-recoil
$AD control bench --algo bc --envs Pendulum-v1 --kinds expert1,mixed --seeds 1,2,3 --steps 5000 --out $OUT/c2-recoil

# 4. ARSQ with suboptimal offline data (50/50 batches) vs SAC (online, no data) and
#    ARSQ without data, 6000 environment steps, Pendulum.
$AD control bench --algo arsq --envs Pendulum-v1 --kinds noisy,mixed --seeds 1,2,3 --steps 6000 --out $OUT/c2-arsq
$AD control bench --algo sac --envs Pendulum-v1 --kinds noisy --seeds 1,2,3 --steps 6000 \
	--set learning_starts=1000 --set 'hidden=[64,64]' --out $OUT/c2-arsq
$AD control bench --algo arsq --envs Pendulum-v1 --kinds random --seeds 1,2,3 --steps 6000 \
	--set offline_ratio=0 --out $OUT/c2-arsq-nodata
#    MountainCarContinuous (exploration-hard): ARSQ with the mixed data vs SAC.
$AD control bench --algo arsq --envs MountainCarContinuous-v0 --kinds mixed --seeds 1,2,3 --steps 6000 --out $OUT/c2-arsq
$AD control bench --algo sac --envs MountainCarContinuous-v0 --kinds mixed --seeds 1,2,3 --steps 6000 \
	--set learning_starts=1000 --set 'hidden=[64,64]' --out $OUT/c2-arsq


# 5. PRDC beta 20 on the narrow Pendulum data (beta 2 fails there).
$AD control bench --algo prdc --envs Pendulum-v1 --kinds noisy --seeds 1,2,3 --steps 10000 --set beta=20 --out $OUT/c2-prdc-beta20
$AD control bench --algo prdc --envs Pendulum-v1 --kinds expert --seeds 1,2,3 --steps 10000 --set beta=20 --out $OUT/c2-prdc-beta20
