terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "name" {
  type = string
}

variable "region" {
  type = string
}

resource "aws_s3_bucket" "logs" {
  bucket = "${var.name}-logs"
}

resource "aws_sqs_queue" "events" {
  name = "${var.name}-events"
}

output "bucket_arn" {
  value = aws_s3_bucket.logs.arn
}

output "queue_url" {
  value = aws_sqs_queue.events.url
}
