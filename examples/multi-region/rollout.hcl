# A stack of terraform_data resources replicated into six regions. It needs
# no provider download, so it runs anywhere LocalStack runs.
project = "demo"

aws {
  account_id = "000000000000"
  endpoint   = "http://127.0.0.1:4566"
  endpoints  = { dynamodb = "http://127.0.0.1:4567" }
}

state {
  bucket     = "demo-tfstate"
  region     = "us-east-1"
  lock_table = "demo-tflock"
}

stack "site" {
  source = "./modules/site"
  inputs = {
    bucket_name = "demo-assets-${region}"
    replicas    = 1
  }
}

region "eu-west-1" {
  inputs = { replicas = 3 }
}

wave "canary" {
  regions = ["us-east-1"]
}

wave "europe" {
  regions      = ["eu-west-1", "eu-central-1"]
  max_parallel = 2
}

wave "rest" {
  regions = ["ap-southeast-2", "sa-east-1", "ca-central-1"]
}
