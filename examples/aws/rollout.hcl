# What a real project looks like: an S3 bucket and an SQS queue in every
# region, deployed through a role in one account.
project = "payments"

aws {
  account_id = "111111111111"
  role_arn   = "arn:aws:iam::111111111111:role/deploy"
}

state {
  bucket     = "payments-tfstate"
  region     = "us-east-1"
  key_prefix = "rollout"
  lock_table = "payments-tflock"
}

stack "regional" {
  source = "./modules/regional"
  inputs = {
    name = "payments-${region}"
  }
}

wave "canary" {
  regions = ["us-east-1"]
}

wave "europe" {
  regions      = ["eu-west-1", "eu-central-1"]
  max_parallel = 2
}
