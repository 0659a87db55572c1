# Entry points. Every target sets up its own virtualenv under .venv (see scripts/env.sh).
.PHONY: test test-deep units sanity lint integration external molecule bench demo demo-eda matrix build clean

test:            ## everything CI runs: units, sanity, lint, lab integration, external tools; stage times at the end
	bash scripts/test.sh

test-deep:       ## the same with the property tests at their full example counts (Hypothesis profile deep)
	HYPOTHESIS_PROFILE=deep bash scripts/test.sh

units:
	bash scripts/test.sh units

sanity:
	bash scripts/test.sh sanity

lint:
	bash scripts/test.sh lint

integration:
	bash scripts/test.sh integration

external:        ## the tests that run a browser, ansible-builder or ansible-rulebook (Java)
	bash scripts/test.sh external

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
