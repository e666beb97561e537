"""FTP (aioftp, FTPS with the gateway's certificate) and SFTP (asyncssh) into Junction's namespace."""
