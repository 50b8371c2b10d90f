import Testing

@testable import FaastAWS

@Suite("Endpoints")
struct EndpointTests {
    @Test(arguments: [
        ("lambda", "https://lambda.eu-west-1.amazonaws.com", "lambda", "eu-west-1"),
        ("logs", "https://logs.eu-west-1.amazonaws.com", "logs", "eu-west-1"),
        ("CloudWatch Logs", "https://logs.eu-west-1.amazonaws.com", "logs", "eu-west-1"),
        ("sqs", "https://sqs.eu-west-1.amazonaws.com", "sqs", "eu-west-1"),
        ("sns", "https://sns.eu-west-1.amazonaws.com", "sns", "eu-west-1"),
        ("sts", "https://sts.eu-west-1.amazonaws.com", "sts", "eu-west-1"),
        ("iam", "https://iam.amazonaws.com", "iam", "us-east-1"),
        ("pricing", "https://api.pricing.us-east-1.amazonaws.com", "pricing", "us-east-1"),
    ])
    func standardEndpoints(service: String, url: String, signingName: String, signingRegion: String) {
        let endpoint = Endpoints.endpoint(service: service, region: "eu-west-1", environment: [:])
        #expect(endpoint == AWSEndpoint(url: url, signingName: signingName, signingRegion: signingRegion, source: "default"))
        #expect(Endpoints.url(service: service, region: "eu-west-1", environment: [:]) == url)
    }

    @Test(arguments: [
        ("lambda", "AWS_ENDPOINT_URL_LAMBDA"), ("logs", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"),
        ("sqs", "AWS_ENDPOINT_URL_SQS"), ("sns", "AWS_ENDPOINT_URL_SNS"), ("sts", "AWS_ENDPOINT_URL_STS"),
        ("iam", "AWS_ENDPOINT_URL_IAM"), ("pricing", "AWS_ENDPOINT_URL_PRICING"),
    ])
    func serviceOverride(service: String, variable: String) {
        #expect(Endpoints.Service(service).environmentVariable == variable)
        let env = [variable: "http://localhost:4566/", "AWS_ENDPOINT_URL": "http://general:1"]
        let endpoint = Endpoints.endpoint(service: service, region: "eu-west-1", environment: env)
        #expect(endpoint.url == "http://localhost:4566")
        #expect(endpoint.source == variable)
        #expect(endpoint.signingName == Endpoints.Service(service).signingName)
    }

    @Test func generalOverrideKeepsSigningRegion() {
        let env = ["AWS_ENDPOINT_URL": "http://localhost:4566//", "AWS_ENDPOINT_URL_SQS": "http://sqs-only"]
        #expect(Endpoints.endpoint(service: "iam", region: "eu-west-1", environment: env)
            == AWSEndpoint(url: "http://localhost:4566", signingName: "iam", signingRegion: "us-east-1", source: "AWS_ENDPOINT_URL"))
        #expect(Endpoints.url(service: "lambda", region: "eu-west-1", environment: env) == "http://localhost:4566")
        #expect(Endpoints.url(service: "sqs", region: "eu-west-1", environment: env) == "http://sqs-only")
    }

    @Test func ignoredOverridesAndEmptyValues() {
        let ignored = ["AWS_ENDPOINT_URL": "http://localhost:4566", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]
        #expect(Endpoints.url(service: "lambda", region: "us-west-2", environment: ignored) == "https://lambda.us-west-2.amazonaws.com")
        #expect(Endpoints.url(service: "lambda", region: "us-west-2", environment: ["AWS_ENDPOINT_URL_LAMBDA": ""])
            == "https://lambda.us-west-2.amazonaws.com")
    }

    @Test func otherPartitions() {
        #expect(Endpoints.url(service: "lambda", region: "cn-north-1", environment: [:]) == "https://lambda.cn-north-1.amazonaws.com.cn")
        #expect(Endpoints.endpoint(service: "iam", region: "cn-northwest-1", environment: [:]).signingRegion == "cn-north-1")
        #expect(Endpoints.endpoint(service: "iam", region: "us-gov-east-1", environment: [:])
            == AWSEndpoint(url: "https://iam.us-gov.amazonaws.com", signingName: "iam", signingRegion: "us-gov-west-1", source: "default"))
    }

    @Test func unknownServiceIsGeneric() {
        let endpoint = Endpoints.endpoint(service: "Secrets-Manager", region: "us-west-2", environment: ["AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://x"])
        #expect(endpoint.url == "http://x")
        #expect(Endpoints.Service("Secrets-Manager").signingName == "secrets-manager")
    }
}
