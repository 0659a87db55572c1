# Entry points. Every target sets up its own virtualenv under .venv (see scripts/env.sh).
.PHONY: test units sanity lint integration molecule bench demo demo-eda matrix build clean

test:            ## everything CI runs: units, sanity, lint, lab integration
	bash scripts/test.sh

units:
	bash scripts/test.sh units

sanity:
	bash scripts/test.sh sanity

lint:
	bash scripts/test.sh lint

integration:
	bash scripts/test.sh integration

molecule:        ## the molecule scenarios (check, remediate) against the lab
	bash scripts/molecule.sh

demo:            ## start the lab, audit, remediate, audit again, write the reports, stop the lab
	bash scripts/demo.sh

demo-eda:        ## the Event-Driven Ansible loop on the lab: syslog -> ansible-rulebook -> remediation of one pair
	bash scripts/demo-eda.sh

bench:           ## parser and fleet benchmarks, printed as ratios against their peers
	bash scripts/bench.sh

matrix:          ## units + an end-to-end lab run on every ansible-core line meta/runtime.yml admits (docs/support.md)
	bash scripts/matrix.sh

build:           ## the collection tarball (ansible-galaxy collection build), installed into .tmp/ and read back
	bash scripts/build.sh

clean:
	rm -rf .tmp tests/output benchmarks/data
