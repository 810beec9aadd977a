variable "region" {
  type = string
}

variable "bucket_name" {
  type = string
}

variable "replicas" {
  type    = number
  default = 1
}

resource "terraform_data" "site" {
  input = {
    bucket   = var.bucket_name
    region   = var.region
    replicas = var.replicas
  }
}

output "bucket_name" {
  value = terraform_data.site.output.bucket
}

output "region" {
  value = var.region
}

output "replicas" {
  value = terraform_data.site.output.replicas
}
