/// Errors of the Train module: configs, data and checkpoints.
public enum TrainError: Error, CustomStringConvertible, Equatable {
  case badConfig(String)
  case noData(String)
  case badCheckpoint(String)
  case io(path: String, reason: String)

  public var description: String {
    switch self {
    case .badConfig(let m): "train config: \(m)"
    case .noData(let m): "training data: \(m)"
    case .badCheckpoint(let m): "checkpoint: \(m)"
    case .io(let p, let r): "\(p): \(r)"
    }
  }
}
