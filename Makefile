# Everything the tests and the demo need is built or installed under .tools,
# once; a second run finds it there and skips the work.
TOOLS       := $(CURDIR)/.tools
TERRAFORM   := $(TOOLS)/bin/terraform
TOFU        := $(TOOLS)/bin/tofu
# localstack-core installs no command of its own, so a stamp file marks a
# finished install.
LOCALSTACK  := $(TOOLS)/venv/.installed-localstack
MOTO        := $(TOOLS)/moto-venv/bin/moto_server
ROLLOUT     := $(CURDIR)/bin/rollout

TERRAFORM_VERSION  := 1.5.7
TOFU_VERSION       := 1.6.3
TIME_VERSION       := 0.14.2
LOCALSTACK_VERSION := 4.14.0
MOTO_VERSION       := 5.1.22

# hashicorp/time, built from source and laid out as an unpacked filesystem
# mirror: HOSTNAME/NAMESPACE/TYPE/VERSION/OS_ARCH/ holding the executable
# terraform-provider-TYPE_vVERSION. Terraform resolves hashicorp/time to
# registry.terraform.io and OpenTofu to registry.opentofu.org, so the mirror
# carries the same provider under both hostnames.
PROVIDERS   := $(TOOLS)/providers
PLATFORM    := $(shell go env GOOS)_$(shell go env GOARCH)
TIME_PATH   := hashicorp/time/$(TIME_VERSION)/$(PLATFORM)/terraform-provider-time_v$(TIME_VERSION)
TIME        := $(PROVIDERS)/registry.terraform.io/$(TIME_PATH)
TIME_TOFU   := $(PROVIDERS)/registry.opentofu.org/$(TIME_PATH)

# LocalStack 4.14 runs only on Python 3.13 (it uses syntax and modules
# of 3.13); pyenv's copy is used when python3.13 is not on PATH.
PYTHON313 ?= $(shell for p in $(HOME)/.pyenv/versions/3.13*/bin/python3.13 $$(command -v python3.13); do \
	"$$p" -c 'import sys' 2>/dev/null && { echo "$$p"; break; }; done)

export PATH := $(TOOLS)/bin:$(PATH)

.PHONY: all build tools demo-tools demo test unit e2e emulators-start emulators-stop clean

all: build

build:
	go build -o $(ROLLOUT) ./cmd/rollout

# The demo needs only Terraform and the emulators; the tests also need
# OpenTofu and the provider for the plugin cache test.
demo-tools: $(TERRAFORM) $(LOCALSTACK) $(MOTO)

tools: demo-tools $(TOFU) $(TIME) $(TIME_TOFU)

# Terraform release downloads are not reachable from every machine that
# runs this, so Terraform is built from source with the Go toolchain.
$(TERRAFORM):
	GOBIN=$(TOOLS)/bin go install github.com/hashicorp/terraform@v$(TERRAFORM_VERSION)

# OpenTofu releases after 1.6 carry replace directives in go.mod, which
# go install rejects; 1.6.3 builds.
$(TOFU):
	GOBIN=$(TOOLS)/bin go install github.com/opentofu/opentofu/cmd/tofu@v$(TOFU_VERSION)

# go install names the binary terraform-provider-time, but the mirror
# needs the version in the name, so it is built into a scratch GOBIN and
# moved.
$(TIME):
	GOBIN=$(TOOLS)/provider-build go install github.com/hashicorp/terraform-provider-time@v$(TIME_VERSION)
	mkdir -p $(dir $@)
	mv $(TOOLS)/provider-build/terraform-provider-time $@
	rmdir $(TOOLS)/provider-build

$(TIME_TOFU): $(TIME)
	mkdir -p $(dir $@)
	cp $(TIME) $@

# LocalStack and moto pin conflicting dependencies, so each has a venv.
# The extra pins keep LocalStack 4.14.0 importable: cbor2 6 drops a module
# it imports, pyOpenSSL 26 drops X509.add_extensions, and
# localstack-twisted 26 imports service_identity without requiring it.
$(LOCALSTACK):
	@test -n "$(PYTHON313)" || { echo "LocalStack $(LOCALSTACK_VERSION) needs Python 3.13: install python3.13 or set PYTHON313=/path/to/python3.13"; exit 1; }
	$(PYTHON313) -m venv $(TOOLS)/venv
	$(TOOLS)/venv/bin/pip install --quiet 'localstack-core[runtime]==$(LOCALSTACK_VERSION)' \
		'cbor2>=5.5,<6' 'pyopenssl>=23,<26' 'localstack-twisted==25.5.0'
	touch $@

$(MOTO):
	python3 -m venv $(TOOLS)/moto-venv
	$(TOOLS)/moto-venv/bin/pip install --quiet 'moto[server]==$(MOTO_VERSION)'

emulators-start: demo-tools
	scripts/emulators.sh start

emulators-stop:
	scripts/emulators.sh stop

# The demo: emulators up, state bucket and lock table created, then the
# example planned and rolled out wave by wave.
demo: build demo-tools
	scripts/demo.sh

unit:
	go test -race ./...

# e2e starts and stops its own emulators on ports of its own.
e2e: build tools
	go test -race -tags e2e -count=1 -timeout 30m ./e2e/ ./pkg/bootstrap/

test: unit e2e

# The benchmark compares rollout with Terragrunt and with a plain parallel
# loop of terraform on LocalStack and moto, and writes bench/RESULTS.md.
# It is not part of test: it takes several minutes and its numbers depend
# on the machine.
TERRAGRUNT         := $(TOOLS)/bin/terragrunt
TERRAGRUNT_VERSION := 0.77.22
BENCH_WORK         := $(CURDIR)/bench/work

.PHONY: bench bench-tools

bench-tools: $(TERRAGRUNT)

# go install rejects Terragrunt because its go.mod has replace directives,
# so the module is downloaded (outside this module, which must not gain a
# requirement) and built in its own directory, with the version stamped in
# as Terragrunt's release build does. The build takes several minutes.
$(TERRAGRUNT):
	dir=$$(cd / && go mod download -json github.com/gruntwork-io/terragrunt@v$(TERRAGRUNT_VERSION) \
		| sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p') && \
	test -n "$$dir" && \
	cd "$$dir" && go build -o $@ \
		-ldflags "-X github.com/gruntwork-io/go-commons/version.Version=v$(TERRAGRUNT_VERSION)" .

# The Go benchmarks run first, so they are done before the timed runs start;
# bench/run.sh copies their output into bench/RESULTS.md.
bench: build tools bench-tools
	mkdir -p $(BENCH_WORK)
	go test -run '^$$' -bench . -benchmem ./pkg/stackgen ./pkg/waves >$(BENCH_WORK)/go-bench.txt; \
		status=$$?; cat $(BENCH_WORK)/go-bench.txt; exit $$status
	TERRAGRUNT=$(TERRAGRUNT) TERRAFORM=$(TERRAFORM) ROLLOUT=$(ROLLOUT) \
		BENCH_WORK_DIR=$(BENCH_WORK) bench/run.sh

clean:
	rm -rf bin examples/*/.rollout
