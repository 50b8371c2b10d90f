import FaastCore
import Foundation
import Synchronization

/// Lambda, SNS, SQS and data transfer prices for a region: from the AWS Pricing API, cached for a day
/// under `~/.cache/faast`, or the dated built-in table when the API cannot be reached.
public enum Pricing {
    /// Prices for `region`; never fails (falls back to the built-in table and says so in `source`).
    public static func prices(region: String, client: AWSClient, cacheDirectory: String? = nil, now: Date = Date()) async -> LambdaPrices {
        let cacheDir = cacheDirectory ?? FilePaths.xdg("XDG_CACHE_HOME", default: ".cache")
        let cacheFile = "\(cacheDir)/pricing-lambda-\(region).json"
        if let cached = readCache(cacheFile, now: now) { return cached }
        // Asked once per process and file: an unreachable API must not slow every `cost`.
        if let known = fallbacks.withLock({ $0[cacheFile] }) { return known }
        do {
            let products = try await fetch(region: region, client: client)
            var prices = try parse(products: products)
            prices.source = "AWS Pricing API (\(region)), fetched \(ISO8601DateFormatter().string(from: now).prefix(10))"
            writeCache(cacheFile, prices: prices, now: now)
            return prices
        } catch {
            var fallback = LambdaPrices.builtIn
            fallback.source += "; the Pricing API was not reachable"
            fallbacks.withLock { $0[cacheFile] = fallback }
            return fallback
        }
    }

    private static let fallbacks = Mutex<[String: LambdaPrices]>([:])

    /// GetProducts pages for AWSLambda in the region (the PriceList entries, each a JSON document).
    static func fetch(region: String, client: AWSClient) async throws -> [JSONValue] {
        var all: [JSONValue] = []
        var token: String?
        repeat {
            var body: [JSONMember] = [
                JSONMember("ServiceCode", "AWSLambda"),
                JSONMember("Filters", [["Type": "TERM_MATCH", "Field": "regionCode", "Value": .string(region)]]),
                JSONMember("FormatVersion", "aws_v1"), JSONMember("MaxResults", 100),
            ]
            if let token { body.append(JSONMember("NextToken", .string(token))) }
            // One short attempt: prices are a nicety, and the dated table is always there.
            let page = try await client.json(.pricing, target: "AWSPriceListService.GetProducts", body: .object(body), timeout: 5, attempts: 1)
            for item in page["PriceList"]?.arrayValue ?? [] {
                if let text = item.stringValue, let doc = try? JSONParser.parse(text) { all.append(doc) } else { all.append(item) }
            }
            token = page["NextToken"]?.stringValue
        } while token != nil && all.count < 2000
        return all
    }

    /// Picks the on-demand first-tier prices of the duration and request groups (x86 and arm).
    public static func parse(products: [JSONValue]) throws -> LambdaPrices {
        var prices = LambdaPrices.builtIn
        var found = Set<String>()
        for product in products {
            guard let group = product["product"]?["attributes"]?["group"]?.stringValue else { continue }
            guard let price = firstTierUSD(product) else { continue }
            switch group {
            case "AWS-Lambda-Duration": prices.gbSecondX86 = price
            case "AWS-Lambda-Duration-ARM": prices.gbSecondArm = price
            case "AWS-Lambda-Requests": prices.request = price
            default: continue
            }
            found.insert(group)
        }
        guard found.contains("AWS-Lambda-Duration"), found.contains("AWS-Lambda-Requests") else {
            throw FaastError(.provider, "the Pricing API answered no Lambda duration and request prices")
        }
        return prices
    }

    static func firstTierUSD(_ product: JSONValue) -> Double? {
        guard case .object(let offers)? = product["terms"]?["OnDemand"] else { return nil }
        for offer in offers {
            guard case .object(let dims)? = offer.value["priceDimensions"] else { continue }
            let tiers = dims.map(\.value).sorted {
                (Double($0["beginRange"]?.stringValue ?? "0") ?? 0) < (Double($1["beginRange"]?.stringValue ?? "0") ?? 0)
            }
            if let usd = tiers.first?["pricePerUnit"]?["USD"]?.stringValue, let v = Double(usd) { return v }
        }
        return nil
    }

    static func readCache(_ path: String, now: Date) -> LambdaPrices? {
        guard let data = FileManager.default.contents(atPath: path), let doc = try? JSONParser.parse(bytes: Array(data)),
              let fetched = doc["fetchedAt"]?.doubleValue, now.timeIntervalSince1970 - fetched < 86_400,
              let x86 = doc["gbSecondX86"]?.doubleValue, let arm = doc["gbSecondArm"]?.doubleValue,
              let req = doc["request"]?.doubleValue, let source = doc["source"]?.stringValue else { return nil }
        var p = LambdaPrices.builtIn
        p.gbSecondX86 = x86
        p.gbSecondArm = arm
        p.request = req
        p.source = source + " (cached)"
        return p
    }

    static func writeCache(_ path: String, prices: LambdaPrices, now: Date) {
        let doc: JSONValue = [
            "fetchedAt": .double(now.timeIntervalSince1970), "gbSecondX86": .double(prices.gbSecondX86),
            "gbSecondArm": .double(prices.gbSecondArm), "request": .double(prices.request), "source": .string(prices.source),
        ]
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(doc.prettyText.utf8), attributes: [.posixPermissions: 0o600])
    }
}
