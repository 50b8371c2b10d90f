/// Where to send a service's requests and how to sign them.
public struct AWSEndpoint: Sendable, Equatable {
    /// Base URL without a trailing `/` (`https://lambda.us-west-2.amazonaws.com`).
    public var url: String
    /// The SigV4 service name (`lambda`, `logs`, ...).
    public var signingName: String
    /// The SigV4 region (`us-east-1` for the global IAM and for Pricing).
    public var signingRegion: String
    /// `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL` or `default`.
    public var source: String

    public init(url: String, signingName: String, signingRegion: String, source: String) {
        self.url = url
        self.signingName = signingName
        self.signingRegion = signingRegion
        self.source = source
    }
}

/// Service endpoints, with the AWS SDKs' endpoint overrides from the environment:
/// `AWS_ENDPOINT_URL_<SERVICE>` (the service id upper-cased, spaces and hyphens → `_`), then `AWS_ENDPOINT_URL`,
/// unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`; else the service's real endpoint for the region.
/// Overrides change the URL only: the signing name and region stay the service's.
public enum Endpoints {
    /// A service faast talks to: signing name (also its endpoint prefix) and SDK service id.
    public struct Service: Sendable, Equatable {
        public var signingName: String
        public var serviceId: String

        public static let lambda = Service(signingName: "lambda", serviceId: "Lambda")
        public static let logs = Service(signingName: "logs", serviceId: "CloudWatch Logs")
        public static let sqs = Service(signingName: "sqs", serviceId: "SQS")
        public static let sns = Service(signingName: "sns", serviceId: "SNS")
        public static let sts = Service(signingName: "sts", serviceId: "STS")
        public static let iam = Service(signingName: "iam", serviceId: "IAM")
        public static let pricing = Service(signingName: "pricing", serviceId: "Pricing")
        /// Only for layer zips over 50 MB, staged in a bucket for the time of the upload.
        public static let s3 = Service(signingName: "s3", serviceId: "S3")

        public static let known: [Service] = [.lambda, .logs, .sqs, .sns, .sts, .iam, .pricing, .s3]

        /// A known service by signing name or service id, case-insensitively (`logs`, `CloudWatch Logs`);
        /// any other name is taken as both.
        public init(_ name: String) {
            let lower = name.lowercased()
            self = Self.known.first { $0.signingName == lower || $0.serviceId.lowercased() == lower }
                ?? Service(signingName: lower, serviceId: name)
        }

        public init(signingName: String, serviceId: String) {
            self.signingName = signingName
            self.serviceId = serviceId
        }

        /// `AWS_ENDPOINT_URL_LAMBDA`, `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, ...
        public var environmentVariable: String {
            "AWS_ENDPOINT_URL_" + String(serviceId.uppercased().map { $0 == " " || $0 == "-" ? "_" : $0 })
        }
    }

    /// The endpoint URL of `service` (signing name or service id) in `region`.
    public static func url(service: String, region: String, environment: [String: String]) -> String {
        endpoint(service: service, region: region, environment: environment).url
    }

    /// The endpoint of `service` (signing name or service id) in `region`, with its signing name and region.
    public static func endpoint(service: String, region: String, environment: [String: String]) -> AWSEndpoint {
        let service = Service(service)
        let (url, signingRegion) = standard(service, region: region)
        if environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() != "true" {
            for variable in [service.environmentVariable, "AWS_ENDPOINT_URL"] {
                if let override = environment[variable]?.trimmingCharacters(in: .whitespaces), !override.isEmpty {
                    return AWSEndpoint(
                        url: stripTrailingSlashes(override), signingName: service.signingName,
                        signingRegion: signingRegion, source: variable)
                }
            }
        }
        return AWSEndpoint(url: url, signingName: service.signingName, signingRegion: signingRegion, source: "default")
    }

    /// The real endpoint and signing region.
    static func standard(_ service: Service, region: String) -> (url: String, signingRegion: String) {
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        switch service.signingName {
        case "iam":
            // Global: one endpoint per partition.
            if region.hasPrefix("cn-") { return ("https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1") }
            if region.hasPrefix("us-gov-") { return ("https://iam.us-gov.amazonaws.com", "us-gov-west-1") }
            return ("https://iam.amazonaws.com", "us-east-1")
        case "pricing":
            return ("https://api.pricing.us-east-1.amazonaws.com", "us-east-1")
        default:
            return ("https://\(service.signingName).\(region).\(suffix)", region)
        }
    }

    private static func stripTrailingSlashes(_ url: String) -> String {
        var url = Substring(url)
        while url.hasSuffix("/") { url = url.dropLast() }
        return String(url)
    }
}
